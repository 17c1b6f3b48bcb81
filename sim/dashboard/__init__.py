"""The strategists' page: the model live in the browser, and two policies side by side.

Built on Mesa's SolaraViz and served by ``cxsim dashboard`` with its front-end files shipped in
``assets/``, so it works with no internet. The model and the experiments never import this
package; it imports them.
"""
