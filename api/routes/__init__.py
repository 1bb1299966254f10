"""HTTP routes: the seed's session family, the QR page, health and metrics."""
