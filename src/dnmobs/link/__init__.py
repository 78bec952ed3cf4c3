"""Vendor identities: PGP keys parsed (pgp), pairwise evidence (evidence), resolution into identities (model)."""
