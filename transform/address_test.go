package transform

import "testing"

func TestAddressKeys(t *testing.T) {
	if len(addressKeys) != len(addressParts) {
		t.Fatalf("%d address keys for %d parts", len(addressKeys), len(addressParts))
	}
	for k, part := range addressParts {
		if want := `"` + part + `":`; addressKeys[k] != want {
			t.Errorf("addressKeys[%d] = %s, want %s", k, addressKeys[k], want)
		}
	}
}
