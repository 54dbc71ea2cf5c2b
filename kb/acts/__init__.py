"""Acts, not files: the bilingual act a document is a version of.

ids      what an act id is (act_key, or "doc-<id>" for a document of its own)
pairing  which stored act a new document is the other language (or the same act) of
store    the acts and document_acts tables: links, the Act records, lists
"""
