"""Cross-service contracts: integration events and the artifacts they carry."""
