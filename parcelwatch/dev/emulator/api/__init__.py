"""HTTP routes of the four carrier APIs, each speaking its carrier's paths and errors."""
