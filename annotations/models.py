# Annotations, replies, tags and links arrive with the annotation work (issue 3).
