NAME = "app-app"
