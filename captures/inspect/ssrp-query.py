"""Asks a SQL Browser (UDP 1434) for its instances with Impacket's MS-SQLR client and prints them.

    python3 ssrp-query.py SERVER_ADDRESS

Run through bind-source.py so that the query leaves from the address of the role it stands for.
"""
import sys

from impacket import tds

instances = tds.MSSQL(sys.argv[1], 1433).getInstances(5)
if not instances:
    sys.exit("no reply from the SQL Browser")
for instance in instances:
    print(instance)
