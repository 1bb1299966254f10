"""The facade's Kubernetes layer: one client, a watch cache, the session writes."""
