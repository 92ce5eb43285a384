from portal.ui.education import render

render()
