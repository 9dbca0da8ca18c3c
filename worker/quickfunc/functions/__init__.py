"""What a function is and how it is found: registry, v1 loader, v2 indexer, signature rules."""
