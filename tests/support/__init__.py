"""Test support: real processes on loopback (acmehub, pebble-challtestsrv) and polling helpers."""
