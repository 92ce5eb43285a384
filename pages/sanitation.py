from portal.ui.sanitation import render

render()
