NAME = "app-host"
