from portal.ui.training_signin import render

render()
