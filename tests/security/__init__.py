"""Security checks: header injection, markup, redirects, hostile payloads, secret leaks."""
