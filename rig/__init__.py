"""Rig stage: anny's skeleton at the fitted body's joints (``skeleton``), skin weights transferred onto the
reconstructed mesh (``weights``), posing of meshes and splats by linear-blend skinning (``posing``,
``splats``), the pose library (``poses``), the rigged glTF (``gltf``) and the avatar folder's rig (``avatar``).

Modules are imported directly (``from twinkit.rig.posing import pose_mesh``): they pull in torch and anny,
which the CLI loads only when a rig command runs.
"""
