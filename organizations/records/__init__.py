"""Member records (党员档案) with privacy built in: the encrypted record, masking, reveals
with a stated purpose, the access log, consents, and key rotation
(docs/architecture.md "Member records and privacy")."""
