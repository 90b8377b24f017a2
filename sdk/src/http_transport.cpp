// placeholder: implemented by the SDK work
