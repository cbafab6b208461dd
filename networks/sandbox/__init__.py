"""Loopback emulators of the networks' APIs, for the demo and the tests; never production."""
