"""sessionpod"""
