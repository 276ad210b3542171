"""The inbox: its screen, case table, view tabs, filter, clusters, columns."""
