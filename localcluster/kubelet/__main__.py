"""`python -m mywhatsapp.localcluster.kubelet` entry point."""

from .main import main

main()
