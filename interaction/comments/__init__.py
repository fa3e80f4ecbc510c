"""Comments on content, unit message boards (留言板), moderation and the sensitive-word
filter (docs/architecture.md "Interaction: comments, boards, moderation, Q&A")."""
