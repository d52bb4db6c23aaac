"""The SMS command language, one module per family of commands (docs/SMS-COMMANDS.md).

Each family module holds, for each of its commands, the argument class, the parser that makes
one and the command's row (a CommandSpec: keyword, aliases, how it is written); its COMMANDS
tuple lists those rows. menus.grammar joins the families into the one table and parses an SMS.

    reading   tokens, the reader, mistakes, the shared readers, CommandSpec
    ledger    VAY TRA GOP        health   HA CN           meeting  DD MANG THAM
    members   TV NN              service  HUY HD XONG     queries  NO SK LICH QUY BC NHO
"""
