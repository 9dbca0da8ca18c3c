"""Queue and blob storage for the local host: an embedded sqlite store, or Azure Storage / Azurite
through the official SDK, chosen per connection setting at start (resolve.py)."""
