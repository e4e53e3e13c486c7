"""rigs"""
