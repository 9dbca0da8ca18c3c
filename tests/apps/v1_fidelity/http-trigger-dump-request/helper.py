PREFIX = "dump: "
