"""Health work portal (卫生工作管理平台): the domain, free of Streamlit.

Services take a SQLAlchemy session owned by the caller and an Actor (the signed-in user);
every read and write is scoped to the actor's org-unit subtree and every write is audited
in the same transaction.
"""
