"""The notifications in the admin: the menu entry with the unread count, the pages."""
