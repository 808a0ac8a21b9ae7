"""Reading and writing files: specs (YAML, JSON), expect blocks, weight files, telling file kinds apart."""
