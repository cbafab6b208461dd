"""Dashboard panels of approval, and the approval trail's pages."""
