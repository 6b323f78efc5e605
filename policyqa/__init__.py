"""PolicyQA: cited question answering over Chinese policy articles."""
