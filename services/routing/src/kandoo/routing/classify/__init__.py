"""The complaint classifier: Thai, English and mixed text into the directory's categories."""
