"""The demo city's history (`make demo`): a year of plausible work of the demo stations, generated through the
services, and the `load_demo_city` command that loads the city and its history."""
