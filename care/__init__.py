"""Care for members and their families: birthday and political-birthday greetings
(`greetings/`), family liaison files for overseas members (`liaison/`, 亲情档案) and
pairing assistance (`assistance/`, 结对帮扶); `models.py` gathers their models."""
