from portal.ui.account import render

render()
