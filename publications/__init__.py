"""Documents with read receipts (`documents/`), manuscripts and the bulletin (政工情况);
`models.py` gathers the sub-packages' models."""
