#!/usr/bin/python3.11
"""Exits with status 3 from module-level code, after one call."""
import sys


def work(n):
    return n + 1


work(2)
sys.exit(3)
