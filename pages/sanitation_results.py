from portal.ui.sanitation_public import render

render()
