"""The unicrm command."""


def main() -> None:
    raise SystemExit("unicrm: CLI not built yet")
