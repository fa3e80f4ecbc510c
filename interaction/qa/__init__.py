"""Questions and answers (答疑解惑): asking a unit, routing to its answerers, escalation of
overdue questions, the FAQ (docs/architecture.md "Interaction: comments, boards,
moderation, Q&A")."""
