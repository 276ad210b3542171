"""The new-case and update-case forms and their pickers."""
