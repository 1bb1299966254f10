"""The local kubelet: runs the project's pods as local processes (see main.py)."""
