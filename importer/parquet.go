package importer

import "errors"

func newParquetReader(src *Source, opts Options) (Reader, error) {
	return nil, &FileError{File: src.Path, Err: errors.New("Parquet input is not supported yet")}
}
