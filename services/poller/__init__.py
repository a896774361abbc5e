"""Poller service: validates tracking numbers and polls carrier tracking APIs."""
