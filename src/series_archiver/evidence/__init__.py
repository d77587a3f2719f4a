"""Evidence a third party can check: screenshots, RFC 3161 timestamps, signatures, bundles (docs/evidence.md)."""
