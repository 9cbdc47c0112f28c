"""Test machinery shared by conftest and the test runner."""
