"""In-app notifications: a kind registry apps add to, each member's inbox, and the
services that send, mark read and delete (docs/api.md "Notifications")."""
