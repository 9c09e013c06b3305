"""Files of the local embedding model shipped with the package (the tokenizer of all-MiniLM-L6-v2, Apache-2.0)."""
