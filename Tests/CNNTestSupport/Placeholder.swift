import CNN
