"""sfsync-yuki: the ``yuki`` connector (Yuki's ASMX SOAP web services) and its sandbox."""
